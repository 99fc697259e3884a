import t from 'tap';
import { BigramIndex } from '../../lib/taint/overlap';

t.test('the bigram index answers for the payload indexed last, however many came before', async (t) => {
  const idx = new BigramIndex();
  // Stamps are one byte: each of these lengths of runs wraps them at a different point.
  for (const before of [0, 1, 254, 255, 256, 1000]) {
    idx.index('SELECT id FROM users WHERE name = $1');
    for (let i = 0; i < before; i++) idx.index(`payload number ${i}`);
    idx.index('/srv/app/templates/receipt.txt');
    t.ok(idx.mayOccur('templates'), `${before}: a substring may occur`);
    t.ok(idx.mayOccur('/srv/app/templates/receipt.txt'), `${before}: the whole payload may occur`);
    t.notOk(idx.mayOccur('SELECT id'), `${before}: an earlier payload's text does not`);
    t.notOk(idx.mayOccur('QQQQ'), `${before}: text it never held does not`);
  }
});
