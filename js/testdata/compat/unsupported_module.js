// A k6 module throng does not have fails at load, naming it, not with
// "undefined is not a function" mid-test.
import http from 'k6/http';
import ws from 'k6/ws';

export default function () {
  ws.connect(`${__ENV.BASE_URL}/ws`, {}, () => {});
  http.get(__ENV.BASE_URL);
}
