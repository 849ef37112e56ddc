// exec.test.abort() stops the whole test with exit code 108; teardown
// still runs.
import http from 'k6/http';
import exec from 'k6/execution';
import { sleep } from 'k6';

export const options = { vus: 1, duration: '1m' };

export default function () {
  if (__ITER === 2) {
    exec.test.abort('enough data');
  }
  sleep(0.01);
}

export function teardown() {
  http.post(`${__ENV.BASE_URL}/echo`, 'teardown ran');
}
