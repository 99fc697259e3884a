import t from 'tap';
import { resolveConfig } from '../../lib/config';

t.test('defaults', async (t) => {
  const { config, problems } = resolveConfig({}, {});
  t.match(config, { mode: 'monitor', modeSource: 'default', log: 'stdout', failClosed: false, trustProxy: false, metadata: 'report' });
  t.same(problems, []);
});

t.test('environment', async (t) => {
  const { config } = resolveConfig({}, { PALISADE_MODE: 'block', PALISADE_LOG: 'stderr', PALISADE_FAIL: 'closed', PALISADE_TRUST_PROXY: '2' });
  t.match(config, { mode: 'block', modeSource: 'env', log: 'stderr', failClosed: true, trustProxy: 2 });
});

t.test('options win over environment', async (t) => {
  const { config } = resolveConfig({ mode: 'off', log: '/tmp/x.log' }, { PALISADE_MODE: 'block' });
  t.match(config, { mode: 'off', modeSource: 'option', log: '/tmp/x.log' });
});

t.test('invalid values: one line naming the variable and allowed values, safe default', async (t) => {
  const { config, problems } = resolveConfig({}, { PALISADE_MODE: 'blok', PALISADE_FAIL: 'maybe', PALISADE_TRUST_PROXY: 'yes', PALISADE_MAX_BODY: '-3' });
  t.equal(config.mode, 'monitor');
  t.equal(problems.length, 4);
  t.match(problems[0]!.message, /^PALISADE_FAIL="maybe" is not valid; allowed: open, closed/);
  t.match(problems.find((p) => p.variable === 'PALISADE_MODE')!.message, /PALISADE_MODE="blok" is not valid; allowed: block, monitor, learn, off \(using monitor\)/);
  for (const p of problems) t.notMatch(p.message, /\n/, 'one line');
});
