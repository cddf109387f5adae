import { graphql } from './gql';

/** Every operation the storefront sends: typed by GraphQL Code Generator, registered in its trusted documents manifest. */

export const CATALOGUE = graphql(`
  query Catalogue($first: Int!, $after: String, $search: String) {
    products(first: $first, after: $after, search: $search) {
      edges {
        cursor
        node {
          id
          sku
          name
          stock
          price {
            amountCents
            currency
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const MY_ORDERS = graphql(`
  query MyOrders {
    me {
      id
      name
      email
      orders(first: 20) {
        edges {
          node {
            id
            status
            createdAt
            total {
              amountCents
              currency
            }
            items {
              quantity
              unitPrice {
                amountCents
                currency
              }
              product {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`);

export const SIGN_UP = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      refreshToken
      user {
        id
        name
      }
    }
  }
`);

export const SIGN_IN = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) {
      token
      refreshToken
      user {
        id
        name
      }
    }
  }
`);

export const REFRESH = graphql(`
  mutation Refresh($token: String!) {
    refreshToken(token: $token) {
      token
      refreshToken
      user {
        id
        name
      }
    }
  }
`);

export const PLACE_ORDER = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      total {
        amountCents
        currency
      }
    }
  }
`);

export const SIGN_OUT = graphql(`
  mutation SignOut($refreshToken: String!) {
    signOut(refreshToken: $refreshToken)
  }
`);
