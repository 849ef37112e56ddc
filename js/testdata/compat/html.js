// k6/html: read a page, pick a CSRF token from a form and post it back,
// as k6's "Parse HTML" and form examples do.
import http from 'k6/http';
import { parseHTML } from 'k6/html';
import { check } from 'k6';

export const options = { iterations: 2 };

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/page`);
  const doc = parseHTML(res.body);
  const products = doc.find('#products li.product');
  const names = [];
  products.each(function (i, el) {
    names.push(el.textContent().trim().split(' ')[0]);
  });
  check(products, {
    'three products': (p) => p.size() === 3 && p.filter('.sold-out').size() === 1,
    names: () => names.join(',') === 'Apple,Pear,Fig' && doc.find('title').text() === 'Compat shop',
  });
  const token = doc.find('input[name=csrf]').attr('value');
  check(token, { 'csrf token found': (t) => t === 'csrf-42' });
  const sku = products.not('.sold-out').last().attr('data-sku');
  const cart = http.post(`${__ENV.BASE_URL}/cart`, { csrf: token, product: sku });
  check(cart, { 'added to cart': (r) => r.status === 201 });
  check(doc, {
    'links in document order': (d) => d.find('a').map((i, a) => a.attr('href')).join() === '/p/A1,/p/P2,/p/F3',
  });
}
