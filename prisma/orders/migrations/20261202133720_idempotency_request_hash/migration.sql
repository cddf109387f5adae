-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "request_hash" TEXT;
