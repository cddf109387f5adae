import { graphql } from './gql';

/** Every operation the storefront sends: typed by GraphQL Code Generator, registered in its trusted documents manifest. */

/** What signing up, in and refreshing give back: a session (session.ts). */
export const AUTH_FIELDS = graphql(`
  fragment AuthFields on AuthPayload {
    token
    refreshToken
    user {
      id
      name
    }
  }
`);

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
      ...AuthFields
    }
  }
`);

export const SIGN_IN = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) {
      ...AuthFields
    }
  }
`);

export const REFRESH = graphql(`
  mutation Refresh($token: String!) {
    refreshToken(token: $token) {
      ...AuthFields
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
