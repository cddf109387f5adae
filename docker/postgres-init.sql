-- One database per service.
CREATE DATABASE users;
CREATE DATABASE products;
CREATE DATABASE orders;
