import { detectSqlInjection as d } from './lib/detectors/sql/index';
const big = "SELECT " + Array.from({length: 100000}, (_, i) => i).join(',') + " WHERE a = 'x' OR 1=1";
console.log(!!d({driver:'x', dialect:'postgres', text: big}, [{source:'q', value:"x' OR 1=1", decoding:[]}]));
console.log(!!d({driver:'x', dialect:'postgres', text: "SELECT * FROM t WHERE a = 'x' OR 1=1"}, [{source:'q', value:"x' OR 1=1", decoding:[]}]));
console.log(!d({driver:'x', dialect:'postgres', text: "SELECT * FROM t WHERE a = 'x'' OR 1=1'"}, [{source:'q', value:"x' OR 1=1", decoding:[]}]));
