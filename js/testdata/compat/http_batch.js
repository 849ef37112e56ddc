// http.batch with an array of the three request forms and with an object,
// as in k6's http.batch documentation.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 2 };

export default function () {
  const base = __ENV.BASE_URL;
  const responses = http.batch([
    `${base}/items`,
    ['POST', `${base}/echo`, 'one', { headers: { 'X-Order': '1' } }],
    { method: 'PUT', url: `${base}/echo`, body: 'two' },
  ]);
  check(responses, {
    'array batch all 200': (rs) => rs.every((r) => r.status === 200),
    'array batch keeps order': (rs) =>
      rs[0].json('total') === 2 && rs[1].json('method') === 'POST' && rs[2].json('body') === 'two',
  });

  const named = http.batch({
    home: `${base}/`,
    echo: { method: 'GET', url: `${base}/echo?from=batch` },
  });
  check(named, {
    'object batch keeps keys': (rs) => rs.home.body === 'ok' && rs.echo.json('query.from') === 'batch',
  });
}
