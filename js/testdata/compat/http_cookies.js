// Cookies as k6 handles them: the VU's jar keeps what the server sets
// (on redirect hops too) and sends it back, is emptied at the start of
// every iteration, and http.cookieJar() and params.cookies adjust it.
import http from 'k6/http';
import { check } from 'k6';

export const options = { vus: 2, iterations: 4 };

export default function () {
  const base = __ENV.BASE_URL;
  const fresh = http.get(`${base}/cookies`);
  check(fresh, { 'jar starts empty': (r) => Object.keys(r.json()).length === 0 });

  const login = http.post(`${base}/session/login`, { user: `user${__VU}` });
  check(login, {
    'redirected home with the session': (r) =>
      r.status === 200 && r.url === `${base}/session/home` && r.json('user') === `user${__VU}`,
  });

  const set = http.get(`${base}/cookies/set?theme=dark&lang=en`);
  check(set, {
    'res.cookies': (r) => r.cookies.theme[0].value === 'dark' && r.cookies.lang[0].path === '/',
  });

  const jar = http.cookieJar();
  jar.set(base, 'promo', 'spring');
  check(jar.cookiesForURL(`${base}/`), {
    'jar holds them': (c) => c.theme[0] === 'dark' && c.promo[0] === 'spring' && c.session.length === 1,
  });

  const sent = http.get(`${base}/cookies`, { cookies: { lang: { value: 'fr', replace: true }, ab: 'b' } });
  check(sent, {
    'params.cookies': (r) => {
      const c = r.json();
      return c.theme === 'dark' && c.promo === 'spring' && c.lang === 'fr' && c.ab === 'b';
    },
  });

  jar.delete(base, 'theme');
  check(http.get(`${base}/cookies`), { 'deleted': (r) => r.json('theme') === undefined && r.json('lang') === 'en' });
}
