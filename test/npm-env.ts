// What npm needs to reach the registry as this machine does (its global npmrc with the registry and
// CA file, proxies, extra CAs); the repository tests that run npm pass this and nothing else of the
// environment.
export const networkEnv: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter(
    (e): e is [string, string] =>
      e[1] !== undefined &&
      /^(npm_config_(globalconfig|userconfig|registry|cafile|proxy|https_proxy|noproxy|strict_ssl)|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/.test(
        e[0],
      ),
  ),
);
