// k6/data SharedArray: test data loaded once from a JSON file and shared
// by all VUs, as in k6's "Data parameterization".
import http from 'k6/http';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';

const users = new SharedArray('users', function () {
  return JSON.parse(open('./data/users.json'));
});

export const options = { vus: 3, iterations: 6 };

export default function () {
  const user = users[exec.scenario.iterationInTest % users.length];
  const res = http.get(`${__ENV.BASE_URL}/users/${user.id}`);
  check(res, { 'user found': (r) => r.json('id') === String(user.id) });
  check(user, {
    'user is read-only': (u) => {
      try {
        users[0] = { id: 99 };
      } catch (e) {
        return e instanceof TypeError && users.length === 3 && users[0].id === 1 && Object.isFrozen(u);
      }
      return false;
    },
  });
}
