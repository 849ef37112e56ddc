// Without insecureSkipTLSVerify a self-signed certificate is refused: the
// request fails with k6's error code and the run goes on.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 2 };

export default function () {
  const res = http.get(`${__ENV.TLS_URL}/proto`);
  check(res, { 'refused, not crashed': (r) => r.status === 0 && r.error_code === 1310 });
}
