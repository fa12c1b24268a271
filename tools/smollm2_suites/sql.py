"""The sql task's pool: near general ability, structured output like reasoning and format."""

import itertools

from .common import rng

EMPLOYEES = "employees(id, name, department, salary, age)"
PRODUCTS_TABLE = "products(id, name, category, price, stock)"
DEPARTMENTS = ["Sales", "Marketing", "Finance", "Support", "Research", "Design", "Legal", "Operations"]
CATEGORIES = ["toys", "books", "garden", "kitchen", "sports", "music", "office", "bathroom"]

SQL_TEMPLATES = [  # (table, question phrasings, query, parameter name -> values)
    (EMPLOYEES, ["List the names of all employees in the {d} department.", "Which employees work in {d}?",
                 "Show the names of employees in {d}."],
     "SELECT name FROM employees WHERE department = '{d}';", {"d": DEPARTMENTS}),
    (EMPLOYEES, ["List the names and salaries of employees in {d}.", "Show name and salary for everyone in {d}."],
     "SELECT name, salary FROM employees WHERE department = '{d}';", {"d": DEPARTMENTS}),
    (EMPLOYEES, ["How many employees work in {d}?", "Count the employees in the {d} department."],
     "SELECT COUNT(*) FROM employees WHERE department = '{d}';", {"d": DEPARTMENTS}),
    (EMPLOYEES, ["What is the average salary in {d}?", "Find the average salary of employees in {d}."],
     "SELECT AVG(salary) FROM employees WHERE department = '{d}';", {"d": DEPARTMENTS}),
    (EMPLOYEES, ["What is the highest salary in {d}?", "Find the top salary in the {d} department."],
     "SELECT MAX(salary) FROM employees WHERE department = '{d}';", {"d": DEPARTMENTS}),
    (EMPLOYEES, ["List the names of employees older than {n}.", "Which employees are older than {n}?"],
     "SELECT name FROM employees WHERE age > {n};", {"n": list(range(18, 71))}),
    (EMPLOYEES, ["Which employees earn more than {n}?", "List employees with a salary above {n}."],
     "SELECT name FROM employees WHERE salary > {n};", {"n": list(range(30000, 100001, 2500))}),
    (EMPLOYEES, ["List the {k} highest paid employees.", "Show the top {k} employees by salary."],
     "SELECT name FROM employees ORDER BY salary DESC LIMIT {k};", {"k": list(range(2, 21))}),
    (EMPLOYEES, ["Who are the {k} youngest employees?", "List the {k} youngest employees."],
     "SELECT name FROM employees ORDER BY age ASC LIMIT {k};", {"k": list(range(2, 21))}),
    (EMPLOYEES, ["How many employees are in each department?", "Count the employees per department.",
                 "Show the number of employees in every department."],
     "SELECT department, COUNT(*) FROM employees GROUP BY department;", {}),
    (PRODUCTS_TABLE, ["List the products in the {c} category.", "Which products are in {c}?",
                      "Show the names of all {c} products."],
     "SELECT name FROM products WHERE category = '{c}';", {"c": CATEGORIES}),
    (PRODUCTS_TABLE, ["How many products cost less than {p}?", "Count the products priced under {p}."],
     "SELECT COUNT(*) FROM products WHERE price < {p};", {"p": list(range(5, 301, 5))}),
    (PRODUCTS_TABLE, ["Which products have fewer than {n} items in stock?", "List products with stock below {n}."],
     "SELECT name FROM products WHERE stock < {n};", {"n": list(range(1, 81))}),
    (PRODUCTS_TABLE, ["What is the total stock of {c} products?", "How many {c} items are in stock in total?"],
     "SELECT SUM(stock) FROM products WHERE category = '{c}';", {"c": CATEGORIES}),
    (PRODUCTS_TABLE, ["Show the {k} cheapest products.", "List the {k} lowest priced products."],
     "SELECT name FROM products ORDER BY price ASC LIMIT {k};", {"k": list(range(2, 21))}),
    (PRODUCTS_TABLE, ["What is the average price of {c} products?", "Find the average price in the {c} category."],
     "SELECT AVG(price) FROM products WHERE category = '{c}';", {"c": CATEGORIES}),
    (PRODUCTS_TABLE, ["What is the most expensive product in {c}?", "Which {c} product has the highest price?"],
     "SELECT name FROM products WHERE category = '{c}' ORDER BY price DESC LIMIT 1;", {"c": CATEGORIES}),
    (PRODUCTS_TABLE, ["List products priced between {a} and {b}.", "Which products cost from {a} to {b}?"],
     "SELECT name FROM products WHERE price BETWEEN {a} AND {b};",
     {"a": list(range(5, 100, 5)), "b": list(range(100, 301, 50))}),
]


def sql_pool() -> list[dict]:
    # Every (template, phrasing, parameters) combination, shuffled so no file is grouped by template.
    pool = []
    for table, phrasings, query, params in SQL_TEMPLATES:
        for values in itertools.product(*params.values()):
            values = dict(zip(params, values))
            for phrasing in phrasings:
                q = query.format(**values)
                pool.append({"prompt": f"Write a SQL query for the table {table}. {phrasing.format(**values)}",
                             "response": q, "check": {"type": "sql", "query": q}})
    rng("sql").shuffle(pool)
    return pool
