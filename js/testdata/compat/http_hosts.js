// The hosts option maps names to addresses without DNS, as k6's does: a
// test written for shop.test runs against the local target.
import http from 'k6/http';
import { check } from 'k6';

const port = __ENV.BASE_URL.split(':')[2];

export const options = {
  iterations: 2,
  hosts: { 'shop.test': '127.0.0.1', 'api.shop.test:80': `127.0.0.1:${port}` },
};

export default function () {
  const res = http.get(`http://shop.test:${port}/items`);
  check(res, {
    'shop.test reached': (r) => r.status === 200 && r.json('total') === 2,
    'url keeps the name': (r) => r.url === `http://shop.test:${port}/items`,
  });
  const api = http.get('http://api.shop.test/users/7');
  check(api, { 'host:port mapped': (r) => r.json('name') === 'user 7' });
}
