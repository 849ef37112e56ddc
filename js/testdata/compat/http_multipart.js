// A file upload as k6's "Multipart request" example: an object body with
// an http.file in it is sent as multipart/form-data.
import http from 'k6/http';
import { check } from 'k6';

const txt = open('./data/payload.txt');
const bin = open('./data/payload.txt', 'b');

export const options = { iterations: 2 };

export default function () {
  const data = {
    field: 'this is a standard form field',
    file: http.file(txt, 'test.txt'),
    bin: http.file(bin, 'bin.dat', 'application/x-test'),
  };
  const res = http.post(`${__ENV.BASE_URL}/upload`, data);
  check(res, {
    'uploaded': (r) => r.status === 200,
    'form field': (r) => r.json('fields.field') === 'this is a standard form field',
    'text file': (r) =>
      r.json('files.file.filename') === 'test.txt' &&
      r.json('files.file.type') === 'application/octet-stream' &&
      r.json('files.file.content') === txt,
    'binary file': (r) => r.json('files.bin.type') === 'application/x-test' && r.json('files.bin.size') === bin.byteLength,
  });
}
