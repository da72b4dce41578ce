program tests
  use hpc_test_support
  implicit none
  external :: cg
  integer :: sizes(3) = [1, 5, 2000000], s, n, i, p, iters
  integer, allocatable :: rowptr(:), col(:)
  double precision, allocatable :: val(:), b(:), x(:)
  double precision :: ax, rr, bb
  do s = 1, 3
    n = sizes(s)
    allocate(b(n), x(n))
    call t_csr(n, .true., rowptr, col, val)
    call t_vec(b, 0.01d0, 0.4d0); x = 9d0
    ! about 25 iterations reach 1e-12 here (condition number < 4): a wrong dot product takes many more
    call cg(n, rowptr, col, val, b, x, 200, 1d-12, iters)
    if (iters < 1 .or. iters > 60) error stop "FAILED: cg iterations"
    rr = 0d0; bb = 0d0
    do i = 1, n
      ax = 0d0
      do p = rowptr(i), rowptr(i + 1) - 1
        ax = ax + val(p) * x(col(p))
      end do
      rr = rr + (b(i) - ax)**2
      bb = bb + b(i)**2
    end do
    if (sqrt(rr) > 1d-9 * sqrt(bb)) error stop "FAILED: cg residual"
    deallocate(b, x, rowptr, col, val)
  end do
end program tests
