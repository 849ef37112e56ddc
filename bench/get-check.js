// bench (b): one GET and one check per iteration.
import http from 'k6/http';
import { check } from 'k6';

export default function () {
  const r = http.get(__ENV.TARGET);
  check(r, { 'is status 200': (r) => r.status === 200 });
}
