// The baselines: bare Express 5, with no auth, no validation, no logging.
//   GET  /hello                 hello-world JSON
//   POST /execute               the same upstream call the service's skill makes, with a fixed header
const express = require('express');
const { Agent, request } = require('undici');

const upstream = process.env.UPSTREAM_URL;
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128 });
const app = express();
app.use(express.json());
app.get('/hello', (_req, res) => res.json({ hello: 'world' }));
app.post('/execute', async (_req, res) => {
  const response = await request(`${upstream}/repos/octo/hello`, { dispatcher: agent, headers: { authorization: 'Bearer fixed-token' } });
  const data = await response.body.json();
  res.json({ outputs: { full_name: data.full_name, stars: data.stargazers_count } });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
