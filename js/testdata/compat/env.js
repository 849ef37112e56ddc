// __ENV from -e, options computed from it, __VU and __ITER.
import { check } from 'k6';

export const options = {
  vus: __ENV.VUS ? parseInt(__ENV.VUS, 10) : 1,
  iterations: 6,
};

export default function () {
  check(__ENV.GREETING, { 'greeting from -e': (g) => g === 'hello' });
  check(__VU, { 'VU numbers': (v) => v >= 1 && v <= 3 });
  check(__ITER, { 'ITER counts from 0': (i) => Number.isInteger(i) && i >= 0 && i < 6 });
}
