// civmap web map: Hangzhou's administrative units and civil-affairs facilities on a MapLibre map.
//
// Why it looks like this: the page is embedded into the civmap server and must work with no
// internet, so the style has no external sources and no glyphs (no text layers; names are shown
// in popups and a hover tooltip instead), and all data comes from the same origin's JSON API.
// Tests wait for `window.civmapReady === true`; a failure to load sets `window.civmapError`.
(function () {
  'use strict';

  var HANGZHOU_CENTRE = [120.0, 29.9];
  var START_ZOOM = 8;

  var ATTRIBUTION =
    'Boundaries © 天地图 Tianditu · NBS 2023 codes · 2020 census · synthetic layers by civmap';

  // Fixed colours per facility category id, so a category keeps its colour whatever the order
  // or number of categories the server lists.
  var CATEGORY_COLOURS = {
    elder_canteen: '#e6194b',
    home_care_centre: '#f58231',
    elder_care_institution: '#9a6324',
    health_elder_union: '#bfa100',
    children_home: '#3cb44b',
    child_welfare_institution: '#008080',
    minor_protection_station: '#42d4f4',
    neighbourhood_centre: '#4363d8',
    social_work_station: '#911eb4',
    marriage_registry: '#f032e6',
    relief_station: '#800000',
    funeral_service: '#333333',
  };
  // Categories the server adds later get these, in order.
  var EXTRA_COLOURS = ['#808000', '#000075', '#aaffc3', '#dcbeff', '#ffd8b1', '#a9a9a9'];

  var API = {
    categories: '/api/v1/categories',
    districts: '/api/v1/admin?level=district',
    townships: '/api/v1/admin?level=township',
    facilities: '/api/v1/facilities?limit=20000',
  };

  var LAYERS = {
    districtFill: 'district-fill',
    districtLine: 'district-line',
    townshipFill: 'township-hit', // transparent, only so that clicks and hovers find townships
    townshipLine: 'township-line',
    facilities: 'facility-circles',
  };
  var BOUNDARY_LAYERS = {
    district: [LAYERS.districtFill, LAYERS.districtLine],
    township: [LAYERS.townshipFill, LAYERS.townshipLine],
  };

  window.civmapReady = false;

  var statusEl = document.getElementById('status');
  var tooltipEl = document.getElementById('tooltip');

  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle('error', Boolean(isError));
  }

  var map = new maplibregl.Map({
    container: 'map',
    center: HANGZHOU_CENTRE,
    zoom: START_ZOOM,
    minZoom: 5,
    maxZoom: 18,
    attributionControl: { compact: false, customAttribution: ATTRIBUTION },
    style: {
      version: 8,
      name: 'civmap offline',
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef2f5' } }],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ': HTTP ' + response.status);
      }
      return response.json();
    });
  }

  function colourFor(categoryId, categories) {
    if (Object.prototype.hasOwnProperty.call(CATEGORY_COLOURS, categoryId)) {
      return CATEGORY_COLOURS[categoryId];
    }
    var extras = categories.filter(function (c) {
      return !Object.prototype.hasOwnProperty.call(CATEGORY_COLOURS, c.id);
    });
    var index = extras.findIndex(function (c) {
      return c.id === categoryId;
    });
    return EXTRA_COLOURS[Math.max(index, 0) % EXTRA_COLOURS.length];
  }

  function categoryColourExpression(categories) {
    var expression = ['match', ['get', 'category']];
    categories.forEach(function (c) {
      expression.push(c.id, colourFor(c.id, categories));
    });
    expression.push('#7b8794');
    return expression;
  }

  function addLayers(data) {
    map.addSource('districts', { type: 'geojson', data: data.districts });
    map.addSource('townships', { type: 'geojson', data: data.townships });
    map.addSource('facilities', { type: 'geojson', data: data.facilities });

    map.addLayer({
      id: LAYERS.districtFill,
      type: 'fill',
      source: 'districts',
      paint: { 'fill-color': '#dbe7f0', 'fill-opacity': 0.55 },
    });
    map.addLayer({
      id: LAYERS.townshipFill,
      type: 'fill',
      source: 'townships',
      paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
    });
    map.addLayer({
      id: LAYERS.townshipLine,
      type: 'line',
      source: 'townships',
      paint: {
        'line-color': '#7b8794',
        'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.4, 12, 1.2],
        'line-opacity': 0.8,
      },
    });
    map.addLayer({
      id: LAYERS.districtLine,
      type: 'line',
      source: 'districts',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': '#3e4c59',
        'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.8, 12, 3.5],
      },
    });
    map.addLayer({
      id: LAYERS.facilities,
      type: 'circle',
      source: 'facilities',
      paint: {
        'circle-color': categoryColourExpression(data.categories),
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 7, 1.6, 10, 3, 14, 6],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 7, 0, 10, 0.6, 14, 1],
        'circle-opacity': 0.9,
      },
    });
  }

  // ---- legend -------------------------------------------------------------------------------

  var enabledCategories = {};

  function applyCategoryFilter() {
    var ids = Object.keys(enabledCategories).filter(function (id) {
      return enabledCategories[id];
    });
    map.setFilter(LAYERS.facilities, ['in', ['get', 'category'], ['literal', ids]]);
  }

  function buildCategoryLegend(categories, facilities) {
    var counts = {};
    facilities.features.forEach(function (f) {
      var id = f.properties && f.properties.category;
      counts[id] = (counts[id] || 0) + 1;
    });
    var list = document.getElementById('category-list');
    list.textContent = '';
    categories.forEach(function (c) {
      enabledCategories[c.id] = true;
      var label = document.createElement('label');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = true;
      box.dataset.category = c.id;
      box.addEventListener('change', function () {
        enabledCategories[c.id] = box.checked;
        applyCategoryFilter();
      });
      var swatch = document.createElement('span');
      swatch.className = 'swatch dot';
      swatch.style.background = colourFor(c.id, categories);
      var name = document.createElement('span');
      name.textContent = c.name_zh + ' ' + c.name_en;
      var count = document.createElement('span');
      count.className = 'count';
      count.textContent = String(counts[c.id] || 0);
      label.append(box, swatch, name, count);
      list.append(label);
    });
    document.getElementById('facility-count').textContent =
      '(' + facilities.features.length.toLocaleString('zh-CN') + ')';

    function setAll(checked) {
      list.querySelectorAll('input[data-category]').forEach(function (box) {
        box.checked = checked;
        enabledCategories[box.dataset.category] = checked;
      });
      applyCategoryFilter();
    }
    document.getElementById('show-all').addEventListener('click', function () {
      setAll(true);
    });
    document.getElementById('show-none').addEventListener('click', function () {
      setAll(false);
    });
    applyCategoryFilter();
  }

  function wireBoundaryToggles() {
    document.querySelectorAll('input[data-boundary]').forEach(function (box) {
      box.addEventListener('change', function () {
        BOUNDARY_LAYERS[box.dataset.boundary].forEach(function (layerId) {
          map.setLayoutProperty(layerId, 'visibility', box.checked ? 'visible' : 'none');
        });
      });
    });
  }

  // ---- popups and tooltip -------------------------------------------------------------------

  var categoriesById = {};

  function formatCount(value) {
    return typeof value === 'number' ? value.toLocaleString('zh-CN') : '–';
  }

  function popupContent(title, rows, synthetic) {
    var root = document.createElement('div');
    var heading = document.createElement('p');
    heading.className = 'popup-title';
    heading.textContent = title;
    root.append(heading);
    var table = document.createElement('table');
    table.className = 'popup-table';
    rows.forEach(function (row) {
      var tr = document.createElement('tr');
      var th = document.createElement('th');
      th.textContent = row[0];
      var td = document.createElement('td');
      td.textContent = row[1];
      tr.append(th, td);
      table.append(tr);
    });
    root.append(table);
    if (synthetic === true) {
      var tag = document.createElement('span');
      tag.className = 'synthetic-tag';
      tag.textContent = '合成 synthetic';
      root.append(tag);
    }
    return root;
  }

  function facilityPopup(props) {
    var category = categoriesById[props.category];
    var categoryText = category ? category.name_zh + ' / ' + category.name_en : props.category;
    return popupContent(
      props.name || '(无名称 unnamed)',
      [
        ['类别 Category', categoryText || '–'],
        ['地址 Address', props.address || '–'],
      ],
      props.synthetic
    );
  }

  function adminPopup(props) {
    return popupContent(
      props.name || props.code,
      [
        ['代码 Code', props.code || '–'],
        ['人口 Population', formatCount(props.population)],
        ['老年人 Elderly (60+)', formatCount(props.elderly)],
      ],
      props.synthetic
    );
  }

  // The topmost feature under a point: a facility, else a township, else a district.
  function featureAt(point) {
    var order = [LAYERS.facilities, LAYERS.townshipFill, LAYERS.districtFill];
    var visible = order.filter(function (id) {
      return map.getLayoutProperty(id, 'visibility') !== 'none';
    });
    if (visible.length === 0) {
      return null;
    }
    var hits = map.queryRenderedFeatures(point, { layers: visible });
    for (var i = 0; i < order.length; i += 1) {
      for (var j = 0; j < hits.length; j += 1) {
        if (hits[j].layer.id === order[i]) {
          return hits[j];
        }
      }
    }
    return null;
  }

  function wireInteraction() {
    var popup = new maplibregl.Popup({ closeButton: true, closeOnClick: false, maxWidth: '320px' });

    map.on('click', function (event) {
      var feature = featureAt(event.point);
      if (!feature) {
        popup.remove();
        return;
      }
      var isFacility = feature.layer.id === LAYERS.facilities;
      var where = isFacility ? feature.geometry.coordinates.slice(0, 2) : event.lngLat;
      popup
        .setLngLat(where)
        .setDOMContent(isFacility ? facilityPopup(feature.properties) : adminPopup(feature.properties))
        .addTo(map);
    });

    map.on('mousemove', function (event) {
      var feature = featureAt(event.point);
      var isFacility = Boolean(feature) && feature.layer.id === LAYERS.facilities;
      map.getCanvas().style.cursor = isFacility ? 'pointer' : '';
      if (!feature || !feature.properties.name) {
        tooltipEl.hidden = true;
        return;
      }
      tooltipEl.textContent = feature.properties.name;
      tooltipEl.style.left = event.point.x + 'px';
      tooltipEl.style.top = event.point.y + 'px';
      tooltipEl.hidden = false;
    });
    map.getCanvas().addEventListener('mouseleave', function () {
      tooltipEl.hidden = true;
    });
  }

  // ---- start ----------------------------------------------------------------------------------

  function loadData() {
    return Promise.all([
      fetchJson(API.categories),
      fetchJson(API.districts),
      fetchJson(API.townships),
      fetchJson(API.facilities),
    ]).then(function (results) {
      return {
        categories: results[0],
        districts: results[1],
        townships: results[2],
        facilities: results[3],
      };
    });
  }

  setStatus('加载中 Loading…');
  var dataLoaded = loadData();
  // Handled in the 'load' listener below; this only stops an early failure from being reported
  // as an unhandled rejection before the map has loaded.
  dataLoaded.catch(function () {});

  map.on('load', function () {
    dataLoaded
      .then(function (data) {
        data.categories.forEach(function (c) {
          categoriesById[c.id] = c;
        });
        addLayers(data);
        buildCategoryLegend(data.categories, data.facilities);
        wireBoundaryToggles();
        wireInteraction();
        setStatus(
          data.districts.features.length + ' 区县 districts · ' +
            data.townships.features.length + ' 乡镇街道 townships · ' +
            data.facilities.features.length + ' 设施 facilities'
        );
        map.once('idle', function () {
          window.civmapReady = true;
        });
      })
      .catch(function (error) {
        var message = String(error && error.message ? error.message : error);
        window.civmapError = message;
        setStatus('数据加载失败 Could not load data: ' + message, true);
        console.warn('civmap: could not load data:', message);
      });
  });
})();
