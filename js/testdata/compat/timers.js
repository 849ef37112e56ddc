// Timers, as globals and from k6/timers: the iteration ends when the last
// timer has run, and callbacks can make requests and checks.
import http from 'k6/http';
import { check } from 'k6';
import { setTimeout as later } from 'k6/timers';

export const options = { iterations: 2 };

export default function () {
  const seen = [];
  let ticks = 0;
  const cancelled = setTimeout(() => seen.push('cancelled'), 1);
  clearTimeout(cancelled);
  later(() => seen.push('module timer'), 2);
  const id = setInterval(() => {
    ticks++;
    http.get(`${__ENV.BASE_URL}/echo?tick=${ticks}`);
    if (ticks < 3) return;
    clearInterval(id);
    setTimeout(() => {
      check(seen, {
        'cleared timer never ran': (s) => !s.includes('cancelled'),
        'k6/timers': (s) => s.includes('module timer'),
      });
      check(ticks, { 'interval stopped after 3': (t) => t === 3 });
    }, 0);
  }, 5);
}
