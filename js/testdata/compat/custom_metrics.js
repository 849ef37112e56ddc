// Custom metrics of the four types, with tags and thresholds on them, as
// in k6's "Create custom metrics".
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const orders = new Counter('orders');
const cartSize = new Gauge('cart_size');
const orderOK = new Rate('order_ok');
const orderTime = new Trend('order_time', true);

export const options = {
  iterations: 3,
  thresholds: {
    orders: ['count==6'],
    'orders{kind:big}': ['count==3'],
    order_ok: ['rate>0.5'],
    order_time: ['max<=30'],
  },
};

export default function () {
  const n = __ITER + 1;
  orders.add(1);
  orders.add(1, { kind: 'big' });
  cartSize.add(n);
  orderOK.add(n !== 2);
  orderTime.add(n * 10);
}
