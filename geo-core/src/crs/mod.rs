//! Coordinate reference systems (placeholder being written: see crs helper).
