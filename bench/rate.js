// bench (f): one GET and one check per iteration at a constant arrival
// rate (BENCH_RATE iterations/s, default 1000) for BENCH_RATE_DURATION
// (default 2m), to watch memory over a long run.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.BENCH_RATE || 1000),
      timeUnit: '1s',
      duration: __ENV.BENCH_RATE_DURATION || '2m',
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
};

export default function () {
  const r = http.get(__ENV.TARGET);
  check(r, { 'is status 200': (r) => r.status === 200 });
}
