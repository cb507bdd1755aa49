//! What the fuzz targets share: the bundled packages that input and batch rows are parsed against.

use std::sync::OnceLock;

use loopx_models::ModelPackage;

/// `sybil_lr` (a schema, linear) and `sybil_gbt` (a schema, trees), read once per process.
pub fn bundled_packages() -> &'static [ModelPackage] {
    static PACKAGES: OnceLock<Vec<ModelPackage>> = OnceLock::new();
    PACKAGES.get_or_init(|| {
        [
            include_str!("../seeds/model_package_json/sybil_lr.json"),
            include_str!("../seeds/model_package_json/sybil_gbt.json"),
        ]
        .iter()
        .map(|text| ModelPackage::from_json_str(text).expect("bundled package"))
        .collect()
    })
}
