// check(): passing and failing conditions, plain values, its return value,
// extra tags, and thresholds on the checks metric.
import { check } from 'k6';

export const options = {
  iterations: 4,
  thresholds: {
    checks: ['rate>=0.5'],
    'checks{check:always}': ['rate==1'],
  },
};

export default function () {
  check(__ITER, {
    always: () => true,
    never: () => false,
    'even iterations': (i) => i % 2 === 0,
    'plain value': true,
  }, { area: 'basics' });
  const all = check(null, { 'returned all': () => false });
  if (all) {
    throw new Error('check() returned true with a failing condition');
  }
}
