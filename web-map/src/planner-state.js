// The planner's state, in one object that the planner's modules are handed explicitly (nothing
// lives on `window`). Only planner.js creates it; the other modules read and change it through
// the context they are given, so what changes the scenario or the report is visible at a call.

/** @typedef {{ category: string, lon: number, lat: number, name: string }} AddedFacility */
/** @typedef {{ id: string, lon: number, lat: number }} MovedFacility */
/** @typedef {{ add: AddedFacility[], move: MovedFacility[], close: string[] }} Scenario */
/**
 * One unit of a coverage report (GET /api/v1/coverage).
 * @typedef {{ code: string, name: string, level: string, population?: number, covered_population?: number,
 *   elderly: number, covered_elderly?: number, share_elderly?: number | null }} CoverageUnit
 */
/**
 * @typedef {{ elderly?: number, covered_elderly?: number, share_elderly?: number | null,
 *   population?: number, covered_population?: number }} CoverageTotal
 */
/** @typedef {{ scenario?: string | null, total: CoverageTotal, units: CoverageUnit[] }} CoverageReport */
/**
 * @typedef {{ id?: string, name: string, unit?: string, value?: number | null, target_2022?: number | null,
 *   target_2025?: number | null, pass?: boolean | null, numerator?: number, denominator?: number | null }} Indicator
 */
/** @typedef {{ code: string, name: string, level: string, indicators: Indicator[] }} IndicatorUnit */
/** @typedef {{ category: string, minutes: string, level: string, scenario: string | null }} PlannerParams */

/**
 * @typedef {object} PlannerState
 * @property {boolean} active the planner tab is open
 * @property {boolean} started its layers exist (added the first time the tab opens)
 * @property {boolean} canPlan the caller is a planner or admin: what-if, siting and exports are shown
 * @property {boolean} adding the next map click adds a what-if facility
 * @property {Scenario} scenario the what-if edits, as POSTed to /api/v1/scenarios
 * @property {string | null} scenarioId the server's id for `scenario` (null when it is empty)
 * @property {CoverageReport | null} report the coverage on screen
 * @property {CoverageReport | null} baseline the same coverage without the scenario
 * @property {IndicatorUnit[]} indicators
 * @property {string | null} indicatorUnit the township whose indicators are charted
 * @property {number} refreshing the number of the newest refresh (older answers are dropped)
 * @property {number} version how many refreshes have finished drawing
 * @property {Map<string, string>} districtNames district code → name, for the indicator groups
 * @property {maplibregl.Marker[]} markers draggable what-if markers
 * @property {Map<string, GeoJSON.Feature>} closed closed facilities by id, drawn as rings
 */

/** @returns {PlannerState} */
export function createPlannerState() {
  return {
    active: false,
    started: false,
    canPlan: false,
    adding: false,
    scenario: emptyScenario(),
    scenarioId: null,
    report: null,
    baseline: null,
    indicators: [],
    indicatorUnit: null,
    refreshing: 0,
    version: 0,
    districtNames: new Map(),
    markers: [],
    closed: new Map(),
  };
}

/** @returns {Scenario} */
export function emptyScenario() {
  return { add: [], move: [], close: [] };
}

/** @param {Scenario} scenario */
export function scenarioIsEmpty(scenario) {
  return scenario.add.length + scenario.move.length + scenario.close.length === 0;
}
