// index.html loads MapLibre GL JS as its UMD build before the page's modules, which use the
// global `maplibregl` it defines. Its types come with the maplibre-gl package; the namespace
// below names the ones the page's JSDoc refers to (`maplibregl.Map`, …).
import type * as maplibre from 'maplibre-gl';

declare global {
  const maplibregl: typeof maplibre;
  namespace maplibregl {
    type Map = maplibre.Map;
    type Marker = maplibre.Marker;
    type Popup = maplibre.Popup;
    type GeoJSONSource = maplibre.GeoJSONSource;
    type MapMouseEvent = maplibre.MapMouseEvent;
    type MapGeoJSONFeature = maplibre.MapGeoJSONFeature;
    type PointLike = maplibre.PointLike;
    type FilterSpecification = maplibre.FilterSpecification;
  }
}
