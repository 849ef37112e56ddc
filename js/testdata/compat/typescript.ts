// A TypeScript script run as it is: types are stripped, not checked, as
// k6 does for .ts files.
import http from 'k6/http';
import { check } from 'k6';
import { Options } from 'k6/options';

interface Item {
  id: number;
  name: string;
  price: number;
}

export const options: Options = { iterations: 2 };

function total(items: Item[]): number {
  return items.reduce((sum: number, item: Item) => sum + item.price, 0);
}

export default function (): void {
  const res = http.get(`${__ENV.BASE_URL}/items`);
  const items = res.json('items') as unknown as Item[];
  check(res, { 'status is 200': (r) => r.status === 200 });
  check(total(items), { 'typed total': (t: number) => t === 3.75 });
}
