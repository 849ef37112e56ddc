// Load test for EventStoreDB's HTTP API. Each iteration writes a new stream of
// 10 events, one request per event, then reads the stream back, as one page
// and event by event, and checks that it reads what it wrote: 21 requests.
//
// Against the example target (go run ./examples/eventstore/cmd/eventstore-target),
// or unchanged against a real EventStoreDB with its HTTP API enabled
// (for a secure node, put the credentials in the URL: http://admin:changeit@host:2113):
//
//   ES_URL=http://127.0.0.1:2113 throng run examples/eventstore/scenario.js
//   k6 run -e ES_URL=http://127.0.0.1:2113 examples/eventstore/scenario.js
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.ES_URL || 'http://127.0.0.1:2113';
const EVENTS = 10;

export const options = { vus: 10, duration: '30s' };

// A random (version 4) UUID: EventStoreDB requires one as each event's id.
function uuidv4() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export default function () {
  const stream = `demo-${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 10)}`;
  const url = `${BASE}/streams/${stream}`;

  // Append the events one by one. ES-ExpectedVersion makes each append
  // conditional on the one before: -1 (no stream yet), then 0, 1, 2, ...
  const written = [];
  for (let n = 0; n < EVENTS; n++) {
    const event = { eventId: uuidv4(), eventType: 'DemoEvent', data: { vu: __VU, iter: __ITER, n, note: `event ${n} of ${stream}` } };
    written.push(event);
    const res = http.post(url, JSON.stringify([event]), {
      headers: { 'Content-Type': 'application/vnd.eventstore.events+json', 'ES-ExpectedVersion': String(n - 1) },
      tags: { name: 'POST /streams/{stream}' },
    });
    check(res, { 'is status 201': (r) => r.status === 201 });
  }

  // Read the whole stream in one page. EventStoreDB lists a page's entries
  // newest first, and with embed=body gives each event's data as a JSON string.
  const page = http.get(`${url}/0/forward/${EVENTS}?embed=body`, {
    headers: { Accept: 'application/vnd.eventstore.atom+json' },
    tags: { name: `GET /streams/{stream}/0/forward/${EVENTS}` },
  });
  check(page, {
    'is status 200': (r) => r.status === 200,
    'stream read back equals events written': (r) => {
      if (r.status !== 200) return false;
      const entries = r.json().entries.slice().sort((a, b) => a.eventNumber - b.eventNumber);
      return entries.length === EVENTS && entries.every((e, i) =>
        e.eventNumber === i && e.eventId === written[i].eventId && e.eventType === written[i].eventType &&
        same(typeof e.data === 'string' ? JSON.parse(e.data) : e.data, written[i].data));
    },
  });

  // Read each event on its own: with Accept: application/json the body is the event's data.
  for (let n = 0; n < EVENTS; n++) {
    const res = http.get(`${url}/${n}`, { headers: { Accept: 'application/json' }, tags: { name: 'GET /streams/{stream}/{n}' } });
    check(res, {
      'is status 200': (r) => r.status === 200,
      'event read back equals event written': (r) => r.status === 200 && same(r.json(), written[n].data),
    });
  }
}
