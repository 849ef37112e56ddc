// bench (a): one GET per iteration, nothing else (what wrk does).
import http from 'k6/http';

export default function () {
  http.get(__ENV.TARGET);
}
