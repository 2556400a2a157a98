// docker-entrypoint-initdb.d script of the mongo image (run once, on an empty data directory, by
// mongosh as the root user): order-store's user, with readWrite on ecommerce_orders and nothing
// else. Its name and password come from the environment (ORDER_STORE_USERNAME, ORDER_STORE_PASSWORD).
for (const name of ['ORDER_STORE_USERNAME', 'ORDER_STORE_PASSWORD']) {
  if (!process.env[name]) throw new Error(`${name} is not set (npm run deploy:secrets)`);
}
db.getSiblingDB('ecommerce_orders').createUser({
  user: process.env.ORDER_STORE_USERNAME,
  pwd: process.env.ORDER_STORE_PASSWORD,
  roles: [{ role: 'readWrite', db: 'ecommerce_orders' }],
});
