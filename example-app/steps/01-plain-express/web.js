// A plain Express app: a home page and a tiny in-memory order book.
const express = require('express');

const app = express();
app.use(express.json({ limit: '64kb' }));

const orders = [];

app.get('/', (req, res) => {
  res.send(`hello from ${process.env.DYNO || 'a laptop'}\n`);
});

app.post('/orders', (req, res) => {
  const order = { id: orders.length + 1, items: req.body.items || [] };
  orders.push(order);
  res.status(201).json(order);
});

app.get('/orders/:id', (req, res) => {
  const order = orders[Number(req.params.id) - 1];
  if (!order) {
    res.status(404).json({ error: 'no such order' });
    return;
  }
  res.json(order);
});

const port = Number(process.env.PORT || 3000);
app.listen(port, () => {
  console.log(`at=info msg="listening" port=${port}`);
});
