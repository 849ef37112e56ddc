// HTTPS to a server with a self-signed certificate: insecureSkipTLSVerify
// accepts it, HTTP/2 is negotiated by ALPN as k6 does, and tlsVersion
// bounds the versions offered.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 2,
  insecureSkipTLSVerify: true,
  tlsVersion: { min: http.TLS_1_2, max: http.TLS_1_3 },
};

export default function () {
  const res = http.get(`${__ENV.TLS_URL}/proto`);
  check(res, {
    'HTTP/2 over TLS': (r) => r.status === 200 && r.proto === 'HTTP/2.0' && r.body === 'HTTP/2.0',
    'TLS 1.3': (r) => r.tls_version === http.TLS_1_3,
  });
}
