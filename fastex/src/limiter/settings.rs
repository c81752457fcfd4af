pub struct LimiterSettings;
#[derive(Debug)]
pub struct SettingsError;
pub fn limiter_settings() {}
