// Every k6/http method helper, and http.request.
import http from 'k6/http';
import { check } from 'k6';

export default function () {
  const url = `${__ENV.BASE_URL}/echo`;
  check(http.put(url, 'p'), { put: (r) => r.json('method') === 'PUT' && r.json('body') === 'p' });
  check(http.patch(url, 'q'), { patch: (r) => r.json('method') === 'PATCH' });
  check(http.del(url), { del: (r) => r.json('method') === 'DELETE' });
  check(http.options(url), { options: (r) => r.json('method') === 'OPTIONS' });
  check(http.head(url), { 'head has no body': (r) => r.status === 200 && r.body === '' });
  check(http.request('POST', url, 'r', { headers: { 'X-Via': 'request' } }), {
    request: (r) => r.json('method') === 'POST' && r.json('headers.X-Via') === 'request',
  });
}
