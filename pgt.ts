import { PGlite } from '@electric-sql/pglite';

let t0 = Date.now();
const pg = await PGlite.create();
console.log('mem create ms', Date.now() - t0);
await pg.exec('create table t(x int)');
t0 = Date.now();
const dump = await pg.dumpDataDir('none');
console.log('dump ms', Date.now() - t0, dump.size);
t0 = Date.now();
const pg2 = await PGlite.create({ loadDataDir: dump });
console.log('load ms', Date.now() - t0, (await pg2.query('select count(*) from t')).rows);
