/// A walking speed with a name, e.g. the default adult pace or a slower elderly pace.
///
/// See the [module docs](super) for the sources of the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkProfile {
    /// Walking speed along the network, metres per second (crossings and waits included).
    pub speed_m_per_s: f64,
    /// Name shown in reports, e.g. `default` or `elderly`.
    pub name: String,
}

impl WalkProfile {
    /// 1.0 m/s: 900 m in 15 minutes, the middle of GB 50180-2018's 800–1,000 m for the
    /// 15-minute life circle.
    pub const DEFAULT_SPEED_M_PER_S: f64 = 1.0;
    /// 0.8 m/s: 720 m in 15 minutes, for the elderly.
    pub const ELDERLY_SPEED_M_PER_S: f64 = 0.8;

    /// A profile with any speed.
    pub fn new(name: &str, speed_m_per_s: f64) -> Self {
        Self {
            speed_m_per_s,
            name: name.to_owned(),
        }
    }

    /// The default adult profile ([`Self::DEFAULT_SPEED_M_PER_S`]).
    pub fn standard() -> Self {
        Self::new("default", Self::DEFAULT_SPEED_M_PER_S)
    }

    /// The elderly profile ([`Self::ELDERLY_SPEED_M_PER_S`]).
    pub fn elderly() -> Self {
        Self::new("elderly", Self::ELDERLY_SPEED_M_PER_S)
    }

    /// Walking distance reachable in `minutes`, metres.
    pub fn distance_m(&self, minutes: f64) -> f64 {
        self.speed_m_per_s * minutes * 60.0
    }

    pub(crate) fn check(&self) -> Result<(), super::CoverageError> {
        if self.speed_m_per_s.is_finite() && self.speed_m_per_s > 0.0 {
            Ok(())
        } else {
            Err(super::CoverageError::BadSpeed {
                speed_m_per_s: self.speed_m_per_s,
            })
        }
    }
}

impl Default for WalkProfile {
    fn default() -> Self {
        Self::standard()
    }
}
