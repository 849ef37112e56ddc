// An exception ends its iteration only: it is counted and logged with its
// location, and the run goes on.
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const afterError = new Counter('after_error');

export const options = { iterations: 4 };

export default function () {
  check(__ITER, { 'before the error': () => true });
  if (__ITER % 2 === 1) throw new Error('odd iteration');
  afterError.add(1);
}
