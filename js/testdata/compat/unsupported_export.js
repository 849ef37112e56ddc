// A k6 API a built-in module lacks fails at load, naming it.
import { check, randomSeed } from 'k6';
import http from 'k6/http';

export default function () {
  randomSeed(42);
  check(http.get(__ENV.BASE_URL), { ok: (r) => r.status === 200 });
}
