use geo::Point;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::{AdminCode, ModelError};

macro_rules! categories {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $zh:literal, $en:literal; )*) => {
        /// A facility category of the civil-affairs plan, with the ids of the API contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FacilityCategory {
            $( $(#[$doc])* $variant, )*
        }

        impl FacilityCategory {
            /// Every category, in contract order.
            pub const ALL: &'static [FacilityCategory] = &[$(Self::$variant),*];

            /// The API id, e.g. `elder_canteen`.
            pub fn id(self) -> &'static str {
                match self { $(Self::$variant => $id,)* }
            }

            /// The Chinese name, e.g. `老年食堂`.
            pub fn name_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh,)* }
            }

            /// The English name, e.g. `Elder canteen`.
            pub fn name_en(self) -> &'static str {
                match self { $(Self::$variant => $en,)* }
            }
        }

        impl FromStr for FacilityCategory {
            type Err = ModelError;
            fn from_str(s: &str) -> Result<Self, ModelError> {
                match s.trim() {
                    $($id => Ok(Self::$variant),)*
                    other => Err(ModelError::UnknownCategory(other.to_owned())),
                }
            }
        }
    };
}

categories! {
    /// 老年食堂/助餐点 — elder canteen or meal-service point (`hub`, `delivery`).
    ElderCanteen = "elder_canteen", "老年食堂", "Elder canteen";
    /// 居家养老服务照料中心 — home-care service centre (`demonstration`).
    HomeCareCentre = "home_care_centre", "居家养老服务照料中心", "Home-care service centre";
    /// 养老机构 — elder-care institution (`beds`, `nursing_beds`).
    ElderCareInstitution = "elder_care_institution", "养老机构", "Elder-care institution";
    /// 康养联合体 — health and elder-care union.
    HealthElderUnion = "health_elder_union", "康养联合体", "Health and elder-care union";
    /// 儿童之家 — children's home.
    ChildrenHome = "children_home", "儿童之家", "Children's home";
    /// 儿童福利机构 — child welfare institution.
    ChildWelfareInstitution = "child_welfare_institution", "儿童福利机构", "Child welfare institution";
    /// 未成年人保护工作站 — minor protection station.
    MinorProtectionStation = "minor_protection_station", "未成年人保护工作站", "Minor protection station";
    /// 邻里中心 — neighbourhood centre.
    NeighbourhoodCentre = "neighbourhood_centre", "邻里中心", "Neighbourhood centre";
    /// 社会工作站 — social-work station.
    SocialWorkStation = "social_work_station", "社会工作站", "Social-work station";
    /// 婚姻登记处 — marriage registry.
    MarriageRegistry = "marriage_registry", "婚姻登记处", "Marriage registry";
    /// 救助管理站 — relief (assistance) station.
    ReliefStation = "relief_station", "救助管理站", "Relief station";
    /// 殡仪服务 — funeral service.
    FuneralService = "funeral_service", "殡仪服务", "Funeral service";
}

impl FacilityCategory {
    /// All API ids, for error messages and `/api/v1/categories`.
    pub fn ids() -> Vec<&'static str> {
        Self::ALL.iter().map(|c| c.id()).collect()
    }
}

impl fmt::Display for FacilityCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Category-specific attributes; absent ones are `false`/`None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityAttributes {
    /// Elder canteen that is a hub (中心食堂) for its township.
    #[serde(default)]
    pub hub: bool,
    /// Elder canteen that delivers meals (送餐).
    #[serde(default)]
    pub delivery: bool,
    /// Home-care centre that is a demonstration centre (示范型).
    #[serde(default)]
    pub demonstration: bool,
    /// Beds of an elder-care institution.
    #[serde(default)]
    pub beds: Option<u32>,
    /// Nursing beds (护理型床位) among `beds`.
    #[serde(default)]
    pub nursing_beds: Option<u32>,
}

/// A service facility at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facility {
    /// Stable id, unique within the dataset.
    pub id: String,
    /// Name as shown to the public.
    pub name: String,
    /// Category from the API contract.
    pub category: FacilityCategory,
    /// Location in WGS84 degrees.
    pub location: Point<f64>,
    /// Postal address (road and number), possibly empty.
    pub address: String,
    /// Code of the community (or lowest unit) it lies in, when known.
    pub admin_code: Option<AdminCode>,
    /// Category-specific attributes.
    pub attributes: FacilityAttributes,
    /// Whether the record is generated.
    pub synthetic: bool,
}
