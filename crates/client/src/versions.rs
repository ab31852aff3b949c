//! The API versions both this client and one broker speak, from the broker's ApiVersions answer.

use std::collections::HashMap;

use ferrokafka_wire::versions::message_versions;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::ApiKey;

/// For each API both sides know, the newest version both support.
#[derive(Debug, Clone, Default)]
pub struct ApiVersionTable {
    newest: HashMap<i16, i16>,
}

impl ApiVersionTable {
    /// Intersects the broker's advertised ranges with the versions this client can encode.
    pub fn negotiate(advertised: &[ApiVersion]) -> Self {
        let newest = advertised
            .iter()
            .filter_map(|api| {
                let key = ApiKey::try_from(api.api_key).ok()?;
                let ours = message_versions(key)?;
                let max = ours.max.min(api.max_version);
                let min = ours.min.max(api.min_version);
                (min <= max).then_some((api.api_key, max))
            })
            .collect();
        ApiVersionTable { newest }
    }

    /// The version to use for `key`, or `None` when there is none in common.
    pub fn version(&self, key: ApiKey) -> Option<i16> {
        self.newest.get(&(key as i16)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(key: ApiKey, min: i16, max: i16) -> ApiVersion {
        ApiVersion::default()
            .with_api_key(key as i16)
            .with_min_version(min)
            .with_max_version(max)
    }

    #[test]
    fn picks_the_newest_common_version() {
        let table = ApiVersionTable::negotiate(&[
            api(ApiKey::Metadata, 0, 99),
            api(ApiKey::Produce, 0, 7),
            api(ApiKey::Fetch, 0, 2),
        ]);
        let ours = message_versions(ApiKey::Metadata).unwrap();
        assert_eq!(table.version(ApiKey::Metadata), Some(ours.max));
        assert_eq!(table.version(ApiKey::Produce), Some(7));
        assert_eq!(table.version(ApiKey::Fetch), None, "below our oldest Fetch");
        assert_eq!(table.version(ApiKey::ListOffsets), None, "not advertised");
    }
}
