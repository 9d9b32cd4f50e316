//! The S3 client: aws-sdk-s3 on a single-threaded tokio runtime owned by the one thread
//! that uses it (the shipper's, or a review command's), behind blocking methods. Nothing
//! async leaks out: the rest of breakglass stays synchronous.

use std::io::Write;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::primitives::{ByteStream, Length};

use super::config::{StoreConfig, StoreUrl};
use super::credentials;
use super::layout::Version;

/// A store that does not answer a connection within this is down for now.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One request (a chunk is at most ~9 MiB) may take this long before it is retried later.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per request; the shipper retries on its own schedule after that.
const ATTEMPTS: u32 = 2;
/// Region when neither the config nor the environment names one.
const DEFAULT_REGION: &str = "us-east-1";

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create-only write found the key taken.
    #[error("the object exists already")]
    Exists,
    #[error("{0}")]
    Other(String),
}

fn other(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("{what}: {e}"))
}

/// One listed version with its time, for ordering.
fn entry(
    key: Option<&str>,
    version_id: Option<&str>,
    modified: Option<&aws_sdk_s3::primitives::DateTime>,
    size: u64,
    delete_marker: bool,
) -> (i64, Version) {
    let t = modified.map_or(0, |t| t.as_nanos() as i64);
    let version = Version {
        key: key.unwrap_or_default().to_string(),
        version_id: version_id.map(str::to_string),
        size,
        delete_marker,
    };
    (t, version)
}

/// A bucket and prefix, with the client to reach them.
pub struct Bucket {
    rt: tokio::runtime::Runtime,
    s3: aws_sdk_s3::Client,
    pub url: StoreUrl,
}

impl Bucket {
    /// Connect (lazily: nothing is sent yet) to the store of `cfg`, or to `url` instead of
    /// its url when given.
    pub fn open(cfg: &StoreConfig, url: Option<&str>) -> anyhow::Result<Bucket> {
        let url = StoreUrl::parse(url.unwrap_or(&cfg.url)).map_err(anyhow::Error::msg)?;
        credentials::check(cfg.credentials_file.as_deref())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let region = RegionProviderChain::first_try(cfg.region.clone().map(Region::new))
            .or_default_provider()
            .or_else(Region::new(DEFAULT_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS));
        if let Some(e) = &cfg.endpoint {
            loader = loader.endpoint_url(e);
        }
        if let Some(f) = credentials::file_to_use(cfg.credentials_file.as_deref()) {
            let files = EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Credentials, f)
                .build();
            loader = loader.credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .profile_files(files)
                    .build(),
            );
        }
        let shared = rt.block_on(loader.load());
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(cfg.endpoint.is_some())
            // Checksums only where S3 requires them: S3-compatible servers such as radosgw
            // refuse the streaming checksum trailers newer SDKs send by default.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        Ok(Bucket {
            rt,
            s3: aws_sdk_s3::Client::from_conf(conf),
            url,
        })
    }

    /// Create `key` with `body`, never replacing an object: `If-None-Match: *`.
    pub fn put_new(&self, key: &str, body: Vec<u8>) -> Result<(), StoreError> {
        self.put(key, async { Ok(ByteStream::from(body)) })
    }

    /// Create `key` from `length` bytes of the file `path` at `offset`, streamed (the
    /// file is never held in memory), never replacing an object.
    pub fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        offset: u64,
        length: u64,
    ) -> Result<(), StoreError> {
        let body = ByteStream::read_from()
            .path(path)
            .offset(offset)
            .length(Length::Exact(length))
            .build();
        self.put(key, async move {
            body.await
                .map_err(|e| other(&format!("cannot read {}", path.display()), e))
        })
    }

    fn put(
        &self,
        key: &str,
        body: impl std::future::Future<Output = Result<ByteStream, StoreError>>,
    ) -> Result<(), StoreError> {
        self.rt.block_on(async {
            let req = self
                .s3
                .put_object()
                .bucket(&self.url.bucket)
                .key(key)
                .if_none_match("*")
                .body(body.await?);
            req.send().await.map(|_| ()).map_err(|e| {
                match e.raw_response().map(|r| r.status().as_u16()) {
                    Some(412) => StoreError::Exists,
                    _ => other(
                        &format!("cannot write {key}"),
                        aws_sdk_s3::error::DisplayErrorContext(e),
                    ),
                }
            })
        })
    }

    /// Wait for a listing request.
    fn listed<T, E: std::error::Error>(
        &self,
        prefix: &str,
        request: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, StoreError> {
        self.rt.block_on(request).map_err(|e| {
            other(
                &format!("cannot list {prefix}"),
                aws_sdk_s3::error::DisplayErrorContext(e),
            )
        })
    }

    /// Every version of every object under `prefix`, newest first within a key.
    pub fn versions(&self, prefix: &str) -> Result<Vec<Version>, StoreError> {
        let mut out = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let req = self
                .s3
                .list_object_versions()
                .bucket(&self.url.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take());
            let page = self.listed(prefix, req.send())?;
            // Versions and delete markers come in two lists; merge them back by key, newest
            // first, which is the order S3 keeps them in.
            let mut page_items: Vec<(i64, Version)> = Vec::new();
            for v in page.versions() {
                let size = v.size().unwrap_or(0).max(0) as u64;
                page_items.push(entry(
                    v.key(),
                    v.version_id(),
                    v.last_modified(),
                    size,
                    false,
                ));
            }
            for m in page.delete_markers() {
                page_items.push(entry(m.key(), m.version_id(), m.last_modified(), 0, true));
            }
            page_items.sort_by(|a, b| a.1.key.cmp(&b.1.key).then(b.0.cmp(&a.0)));
            out.extend(page_items.into_iter().map(|(_, v)| v));
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// The names one level below `prefix` (which ends in `/`), without the slash.
    pub fn folders(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut token = None::<String>;
        loop {
            let req = self
                .s3
                .list_objects_v2()
                .bucket(&self.url.bucket)
                .prefix(prefix)
                .delimiter("/")
                .set_continuation_token(token.take());
            let page = self.listed(prefix, req.send())?;
            for p in page.common_prefixes() {
                if let Some(name) = p
                    .prefix()
                    .and_then(|s| s.strip_prefix(prefix))
                    .and_then(|s| s.strip_suffix('/'))
                {
                    out.push(name.to_string());
                }
            }
            token = page.next_continuation_token().map(str::to_string);
            if page.is_truncated() != Some(true) || token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// GET an object and hand each piece of its body to `each`, until it returns false.
    fn stream(
        &self,
        key: &str,
        req: aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder,
        mut each: impl FnMut(&[u8]) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let failed = |e: &dyn std::fmt::Display| other(&format!("cannot read {key}"), e);
        self.rt.block_on(async {
            let resp = req
                .send()
                .await
                .map_err(|e| failed(&aws_sdk_s3::error::DisplayErrorContext(e)))?;
            let mut body = resp.body;
            while let Some(bytes) = body.try_next().await.map_err(|e| failed(&e))? {
                if !each(&bytes)? {
                    break;
                }
            }
            Ok(())
        })
    }

    /// The first line of an object (without its LF), reading no more than `max` bytes.
    pub fn first_line(&self, key: &str, max: usize) -> Result<Vec<u8>, StoreError> {
        let req = self
            .s3
            .get_object()
            .bucket(&self.url.bucket)
            .key(key)
            .range(format!("bytes=0-{max}"));
        let (mut line, mut whole) = (Vec::new(), false);
        self.stream(key, req, |bytes| {
            let end = memchr::memchr(b'\n', bytes);
            line.extend_from_slice(&bytes[..end.unwrap_or(bytes.len())]);
            whole = end.is_some();
            Ok(!whole)
        })?;
        if whole {
            Ok(line)
        } else {
            Err(StoreError::Other(format!("{key}: no whole first line")))
        }
    }

    /// Stream one version of an object into `out`, dropping its first `skip` bytes;
    /// returns the bytes written. Memory holds one network buffer at a time.
    pub fn get_into(
        &self,
        key: &str,
        version: Option<&str>,
        skip: u64,
        out: &mut dyn Write,
    ) -> Result<u64, StoreError> {
        let req = self
            .s3
            .get_object()
            .bucket(&self.url.bucket)
            .key(key)
            .set_version_id(version.map(str::to_string));
        let (mut skip, mut written) = (skip, 0u64);
        self.stream(key, req, |bytes| {
            let cut = skip.min(bytes.len() as u64) as usize;
            skip -= cut as u64;
            out.write_all(&bytes[cut..])
                .map_err(|e| other("cannot write the copy", e))?;
            written += (bytes.len() - cut) as u64;
            Ok(true)
        })?;
        Ok(written)
    }
}
