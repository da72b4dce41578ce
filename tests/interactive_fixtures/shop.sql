-- A small shop: the SQL fixture's database (built into SQLite by the task loader).
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
INSERT INTO customers VALUES (1, 'Ada', 'Paris'), (2, 'Bob', 'Lyon'), (3, 'Cy', 'Paris'), (4, 'Dee', 'Nice');
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), amount REAL NOT NULL);
INSERT INTO orders VALUES (1, 1, 10.0), (2, 1, 5.5), (3, 2, 7.0), (4, 3, 20.0), (5, 3, 1.0);
