package js

import "testing"

const testPage = `<!DOCTYPE html>
<html lang="en"><head><title>Shop</title></head>
<body>
  <ul id="items">
    <li class="item sale" data-id="1" data-price="9.5"><a href="/p/1">One</a></li>
    <li class="item" data-id="2"><a href="/p/2">Two</a></li>
    <li class="item sale" data-id="3" data-item-name="three"><a href="/p/3">Three</a></li>
  </ul>
  <form><input name="csrf" value="tok123"><textarea name="t">text</textarea>
    <select name="s"><option value="a">A</option><option value="b" selected>B</option></select></form>
</body></html>`

func TestParseHTMLSelection(t *testing.T) {
	expectAllPass(t, `
import { parseHTML } from 'k6/html';
import { check } from 'k6';
const page = `+"`"+testPage+"`"+`;
export default function () {
  const doc = parseHTML(page);
  const items = doc.find('li.item');
  const hrefs = [];
  items.each((i, el) => hrefs.push(i + ':' + el.getAttribute('href') + ':' + el.nodeName()));
  check(doc, {
    'title text': (d) => d.find('head title').text() === 'Shop',
    'attr': (d) => d.find('html').attr('lang') === 'en',
    'attr default': (d) => d.find('html').attr('nope', 'dflt') === 'dflt' && d.find('html').attr('nope') === undefined,
    'size and length': () => items.size() === 3 && items.length === 3,
    'each gets index and Element': () => hrefs.join(',') === '0:undefined:li,1:undefined:li,2:undefined:li',
    'first last eq': () => items.first().attr('data-id') === '1' && items.last().attr('data-id') === '3' && items.eq(1).attr('data-id') === '2',
    'filter by selector': () => items.filter('.sale').size() === 2,
    'filter by function': () => items.filter((i, s) => s.attr('data-id') !== '2').size() === 2,
    'not and is': () => items.not('.sale').size() === 1 && items.is('.sale') && !doc.find('title').is('li'),
    'children': () => doc.find('#items').children().size() === 3 && doc.find('#items').children('.sale').size() === 2,
    'map gets selections': () => items.map((i, s) => s.find('a').attr('href')).join(',') === '/p/1,/p/2,/p/3',
    'html of first': () => items.first().html() === '<a href="/p/1">One</a>',
    'text of all': () => items.text() === 'OneTwoThree',
    'get Element': () => { const el = items.get(0); return el.textContent() === 'One' && el.className() === 'item sale' && el.classList().length === 2; },
    'get negative and all': () => items.get(-1).getAttribute('data-id') === '3' && items.get().length === 3,
    'toArray of selections': () => items.toArray()[1].text() === 'Two',
    'traversal': () => items.first().next().attr('data-id') === '2' && items.last().prev().attr('data-id') === '2' &&
      items.first().parent().attr('id') === 'items' && doc.find('a').first().closest('ul').attr('id') === 'items' &&
      items.first().siblings().size() === 2 && items.first().nextAll().size() === 2,
    'val': () => doc.find('input[name=csrf]').val() === 'tok123' && doc.find('textarea').val() === 'text' && doc.find('select').val() === 'b',
    'data': () => items.first().data('price') === 9.5 && items.first().data().id === 1 && items.last().data('itemName') === 'three',
    'element navigation': () => { const ul = doc.find('#items').get(0); return ul.childElementCount() === 3 && ul.firstElementChild().getAttribute('data-id') === '1' && ul.querySelectorAll('a').length === 3 && ul.querySelector('a').textContent() === 'One'; },
    'index access': () => items[2].getAttribute('data-id') === '3' && items[3] === undefined,
    'empty selection': () => doc.find('.none').size() === 0 && doc.find('.none').html() === undefined && doc.find('.none').text() === '',
    'hasClass': () => items.first().hasClass('sale') && !items.eq(1).hasClass('sale'),
    'has': () => doc.find('li').has('a[href="/p/2"]').attr('data-id') === '2',
  });
}`, 24)
}

func TestHTMLMethodForResponses(t *testing.T) {
	h := newHarness(t, `export default function () {}`, nil)
	vu := h.vu(1)
	fn := vu.htmlMethod([]byte(testPage))
	if err := vu.rt.Set("html", fn); err != nil {
		t.Fatal(err)
	}
	v, err := vu.rt.RunString(`html().find('title').text() + '|' + html('li.sale').size() + '|' + html('a').last().attr('href')`)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "Shop|2|/p/3" {
		t.Errorf("res.html() gave %q", got)
	}
}
