// GET a JSON API and check the response, as k6's "HTTP requests" and
// "Checks" guides do.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 5,
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/items`);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'is JSON': (r) => r.headers['Content-Type'] === 'application/json',
    'has two items': (r) => r.json('items').length === 2,
    'second item is pear': (r) => r.json('items.1.name') === 'pear',
    'body mentions apple': (r) => r.body.includes('apple'),
  });
}
