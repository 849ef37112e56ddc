// bench (d): VUs that only sleep, to measure memory per VU and start-up.
//
// BENCH_T0_MS is the wall clock (Unix ms) just before the tool was
// started. Each VU's first iteration adds how long after that it began to
// vu_started_ms, so the Trend's max is the start-up time: from process
// start until every VU runs. It works the same in k6 and in throng.
import { sleep } from 'k6';
import { Trend } from 'k6/metrics';

const started = new Trend('vu_started_ms');
const T0 = Number(__ENV.BENCH_T0_MS);

export default function () {
  if (__ITER === 0) started.add(Date.now() - T0);
  sleep(1);
}
