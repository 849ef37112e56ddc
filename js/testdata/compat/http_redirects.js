// Redirects are followed up to the maxRedirects option or params.redirects,
// and every hop is a request of its own in the metrics, as k6 counts them.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 2,
  maxRedirects: 2,
  thresholds: { 'http_reqs{status:302}': ['count==20'], 'http_reqs{status:200}': ['count==4'] },
};

export default function () {
  const base = __ENV.BASE_URL;
  const ok = http.get(`${base}/redirect/2`);
  check(ok, { 'followed 2 hops': (r) => r.status === 200 && r.url === `${base}/redirect/0` });
  const stopped = http.get(`${base}/redirect/4`);
  check(stopped, { 'stopped by maxRedirects': (r) => r.status === 302 && r.url === `${base}/redirect/2` });
  const more = http.get(`${base}/redirect/4`, { redirects: 4 });
  check(more, { 'params.redirects overrides': (r) => r.status === 200 && r.body === 'landed' });
  const none = http.get(`${base}/redirect/1`, { redirects: 0 });
  check(none, { 'redirects: 0 returns the redirect': (r) => r.status === 302 && r.headers.Location === '/redirect/0' });
}
