// An async default function with http.asyncRequest, Promise.all and an
// awaited timer, as in k6's asyncRequest examples: the iteration ends
// when its promise does.
import http from 'k6/http';
import { check } from 'k6';

export const options = { vus: 2, iterations: 4 };

const sleepMs = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function () {
  const base = __ENV.BASE_URL;
  const first = await http.asyncRequest('GET', `${base}/items`);
  check(first, { 'awaited response': (r) => r.status === 200 && r.json('total') === 2 });
  const [user, echo] = await Promise.all([
    http.asyncRequest('GET', `${base}/users/1`),
    http.asyncRequest('POST', `${base}/echo`, JSON.stringify({ vu: __VU }), { headers: { 'Content-Type': 'application/json' } }),
  ]);
  check(user, { 'side by side': (r) => r.json('name') === 'user 1' });
  check(echo, { 'post body': (r) => JSON.parse(r.json('body')).vu === __VU });
  await sleepMs(5);
  const missing = await http.asyncRequest('GET', `${base}/status/404`);
  check(missing, { 'an error status resolves too': (r) => r.status === 404 && r.error_code === 1404 });
}
