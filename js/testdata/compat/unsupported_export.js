// A k6 API a built-in module lacks fails at load, naming it.
import { check } from 'k6';
import http, { asyncRequest } from 'k6/http';

export default async function () {
  const res = await asyncRequest('GET', __ENV.BASE_URL);
  check(res, { ok: (r) => r.status === 200 });
}
