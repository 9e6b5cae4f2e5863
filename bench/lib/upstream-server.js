// The upstream both scenarios call: a plain node:http server answering a small JSON document.
const http = require('node:http');
const body = JSON.stringify({ full_name: 'octo/hello', stargazers_count: 42, description: 'benchmark upstream' });
http
  .createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
