'use strict';
// fastify macro benchmark app: the empty route.
const fastify = require('fastify')({ logger: false });
const { memory } = require('./common');

fastify.get('/empty', async () => 'ok');
fastify.get('/__mem', async (req, reply) => {
  reply.header('content-type', 'application/json');
  return memory(req.url);
});
fastify.listen({ port: Number(process.env.PORT || 0), host: '127.0.0.1' }).then(() => {
  console.log('LISTENING ' + fastify.server.address().port);
});
